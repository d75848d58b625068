"""The header's search (core/search/service.py over store/search_index.py): what a term finds —
phones in any spelling and by their last four digits, Chinese and English names and companies,
two-character names, emails, searchable custom fields but not retired ones — and who finds what.
The inbox's free-text filter reads the same index. Mirrored on PostgreSQL (tests/pg)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from core.clock import FakeClock
from core.desk import Desk
from store.models import Opportunity, Role, UserRef
from tests.factories import admin, lead_data, user

from .db import get
from .test_conversion import make_opportunity
from .test_playbooks import move


def capture(desk: Desk, **fields: Any) -> int:
    return desk.leads.capture_lead(lead_data(**fields), channel='manual', default_source='manual').lead_id


def found(desk: Desk, actor: UserRef, text: str) -> set[int]:
    return {h.id for h in desk.search.search(actor, text).leads}


@pytest.fixture
def boss(desk: Desk) -> UserRef:
    return user(desk, Role.MANAGER)


@pytest.fixture
def wang(desk: Desk) -> int:
    user(desk)  # a rep: captures are assigned
    return capture(desk, name='王芳', phone='130-0621-9832', company='深圳华为技术有限公司',
                   email='Fang.Wang@Example.com')


@pytest.mark.parametrize('text', ['13006219832', '130-0621-9832', '+86 130 0621 9832', '+8613006219832',
                                  '9832', '0621 9832'])
def test_a_phone_is_found_in_any_spelling_and_by_its_last_four_digits(desk: Desk, boss: UserRef, wang: int,
                                                                      text: str) -> None:
    assert found(desk, boss, text) == {wang}


@pytest.mark.parametrize('text', ['王芳', '王', '华为技术', '有限公司', 'fang.wang', 'EXAMPLE.COM'])
def test_names_companies_and_emails_are_found_in_chinese_and_english(desk: Desk, boss: UserRef, wang: int,
                                                                     text: str) -> None:
    assert found(desk, boss, text) == {wang}


def test_one_character_or_two_latin_or_digits_match_the_start_of_a_name_only(desk: Desk, boss: UserRef,
                                                                               wang: int) -> None:
    other = capture(desk, name='Li Lei', company='芳华贸易', phone='13500001132')
    results = desk.search.search(boss, '芳')
    assert results.short and results.empty  # 王芳 ends with it, 芳华贸易 is a company: neither starts a name
    assert found(desk, boss, 'li') == {other}
    assert found(desk, boss, 'ei') == found(desk, boss, '32') == set()  # inside a name, a phone's last two
    assert found(desk, boss, '芳华贸') == {other}  # three characters: anywhere


def test_two_chinese_characters_are_found_anywhere(desk: Desk, boss: UserRef, wang: int) -> None:
    """A given name inside a longer one, a surname and one character, a word inside a company."""
    lina = capture(desk, name='李娜', phone='13500001111')
    linana = capture(desk, name='李娜娜', phone='13500002222')
    zhang = capture(desk, name='张丽娜', company='北京李娜贸易', phone='13500003333')
    results = desk.search.search(boss, '李娜')
    assert not results.short and {h.id for h in results.leads} == {lina, linana, zhang}
    assert found(desk, boss, '娜娜') == {linana}
    assert found(desk, boss, '丽娜') == {zhang}
    assert found(desk, boss, '华为') == {wang}  # inside 深圳华为技术有限公司
    assert found(desk, boss, '娜李') == set()  # not across two values (李娜娜 / 北京李娜贸易 are lines apart)
    rows, total = desk.leads.inbox(boss, search='李娜')
    assert {r.id for r in rows} == {lina, linana, zhang} and total == 3


def test_a_two_character_term_follows_an_edit(desk: Desk, boss: UserRef, wang: int) -> None:
    version = desk.leads.lead_view(boss, wang).lead.version
    desk.leads.update_lead(boss, wang, version=version, changes={'company': '杭州阿里巴巴网络'})
    assert found(desk, boss, '巴巴') == {wang}
    assert found(desk, boss, '华为') == set()


def test_an_english_name_is_found_whatever_its_case(desk: Desk, boss: UserRef) -> None:
    user(desk)
    lead = capture(desk, name='Jonathan Smith', company='Acme Trading Co.')
    assert found(desk, boss, 'SMITH') == found(desk, boss, 'acme trad') == {lead}
    assert found(desk, boss, 'smyth') == set()


def test_nothing_found_and_an_empty_term_find_nothing(desk: Desk, boss: UserRef, wang: int) -> None:
    assert desk.search.search(boss, '不存在的客户').empty
    assert desk.search.search(boss, '   ').term == ''


def test_text_custom_fields_are_searched_and_a_retired_one_is_not(desk: Desk, boss: UserRef) -> None:
    a = admin(desk)
    for key, type_ in (('product', 'text'), ('agent', 'text'), ('size', 'number'), ('backup', 'phone')):
        desk.custom_fields.define_field(a, entity='lead', key=key, type=type_, label_zh=key, label_en=key)
    user(desk)
    lead = capture(desk, custom={'product': '智能门锁', 'agent': '渠道代理张三', 'size': 12345,
                                 'backup': '+86 131 2222 3333'})
    assert found(desk, boss, '智能门锁') == found(desk, boss, '代理张三') == {lead}
    assert found(desk, boss, '2222 3333') == {lead}  # a custom phone: its digits
    assert found(desk, boss, '12345') == set()  # a number field is not text
    desk.custom_fields.retire_field(a, entity='lead', key='agent')
    assert found(desk, boss, '代理张三') == set()
    assert found(desk, boss, '智能门锁') == {lead}
    desk.custom_fields.restore_field(a, entity='lead', key='agent')
    assert found(desk, boss, '代理张三') == {lead}


def test_an_edit_is_found_at_once_and_the_old_text_no_longer(desk: Desk, boss: UserRef, wang: int) -> None:
    version = desk.leads.lead_view(boss, wang).lead.version
    desk.leads.update_lead(boss, wang, version=version, changes={'company': '杭州阿里巴巴网络'})
    assert found(desk, boss, '阿里巴巴') == {wang}
    assert found(desk, boss, '华为技术') == set()


def test_a_rep_finds_own_leads_and_the_pool_as_the_pool_shows_it(desk: Desk, boss: UserRef) -> None:
    ann, bo = user(desk, name='Ann'), user(desk, name='Bo')
    mine = capture(desk, name='张伟', phone='13911112222', email='zw@a.cn')
    theirs = capture(desk, name='张伟强', phone='13933334444')
    owners = {lead: desk.leads.lead_view(boss, lead).lead.owner_id for lead in (mine, theirs)}
    if owners[mine] != ann.id:  # round robin: make `mine` Ann's and `theirs` Bo's
        mine, theirs = theirs, mine
    pooled = capture(desk, name='张伟明', phone='13955556666', email='pool@b.cn')
    desk.steering.reassign(boss, [pooled], to_rep_id=None)
    assert found(desk, ann, '张伟') == {mine, pooled}
    assert found(desk, boss, '张伟') == {mine, theirs, pooled}
    assert found(desk, bo, '张伟') == {theirs, pooled}
    assert found(desk, ann, '6666') == {pooled}  # the last digits the pool shows
    assert found(desk, ann, '13955556666') == set()  # not the whole phone: "is it in the pool?"
    assert found(desk, ann, 'pool@b.cn') == set()
    hit = next(h for h in desk.search.search(ann, '张伟明').leads)
    assert hit.in_pool and hit.phone == '139****6666'


def test_opportunities_and_customers_are_found_within_what_the_actor_may_see(desk: Desk, clock: FakeClock,
                                                                             boss: UserRef) -> None:
    ann, bo = user(desk, name='Ann'), user(desk, name='Bo')
    deal = make_opportunity(desk, clock, ann, name='陈静怡', company='苏州星河电子有限公司', phone='13788889999')
    results = desk.search.search(ann, '星河电子')
    assert [h.id for h in results.opportunities] == [deal] and results.customers == []  # not a customer yet
    assert desk.search.search(bo, '星河电子').opportunities == []
    move(desk, ann, deal, 'Won', won_amount='5000', close_date=date(2026, 3, 2))
    account = get(desk, Opportunity, deal).account_id
    for text in ('星河电子', '8888 9999', '陈静怡'):  # the account's name, its contact's phone and name
        assert [h.id for h in desk.search.search(boss, text).customers] == [account], text
    assert [h.id for h in desk.search.search(ann, '星河电子').customers] == [account]
    assert desk.search.search(bo, '星河电子').customers == []


def test_the_inbox_search_reads_the_same_index(desk: Desk, boss: UserRef, wang: int) -> None:
    capture(desk, name='李娜', phone='13500001111')
    for text in ('+86 130 0621 9832', '9832', '华为技术', '王芳', 'fang.wang'):
        rows, total = desk.leads.inbox(boss, search=text)
        assert [r.id for r in rows] == [wang] and total == 1, text


def test_a_search_term_is_text_not_an_fts_query(desk: Desk, boss: UserRef) -> None:
    user(desk)
    lead = capture(desk, name='A "quoted" OR name', company='100% pure_co')
    for text in ('"quoted" OR', '100% pure_', 'OR NOT', '*'):
        assert found(desk, boss, text) <= {lead}, text
    assert found(desk, boss, '"quoted"') == found(desk, boss, '% pure_') == {lead}


def test_the_inbox_pages_a_frequent_term_as_it_pages_a_rare_one(desk: Desk, boss: UserRef,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Many matches walk the inbox's order and test each lead; few are read and sorted: same page."""
    from store.queries import search as search_queries

    rep = user(desk)
    for n in range(6):
        capture(desk, name=f'常见 {n}', company=f'华为技术 {n}', grade='A' if n % 2 else 'C')
    capture(desk, name='Other', company='Elsewhere')
    few = desk.leads.inbox(boss, search='华为技术', page_size=4), desk.leads.inbox(rep, search='华为技术')
    monkeypatch.setattr(search_queries, 'FEW', 2)
    many = desk.leads.inbox(boss, search='华为技术', page_size=4), desk.leads.inbox(rep, search='华为技术')
    assert [([r.id for r in rows], total) for rows, total in many] == \
        [([r.id for r in rows], total) for rows, total in few]
    assert few[0][1] == 6 and len(few[0][0]) == 4
    pairs_few = desk.leads.inbox(boss, search='华为', page_size=4)  # (FEW is 2 here: the walking path)
    assert ([r.id for r in pairs_few[0]], pairs_few[1]) == ([r.id for r in few[0][0]], 6)


@pytest.mark.parametrize('text', ['contact500000', 'contact500000@qq', 'CONTACT500000@QQ.COM'])
def test_a_word_around_a_long_digit_run_is_found_whole(desk: Desk, boss: UserRef, text: str) -> None:
    user(desk)
    wanted = capture(desk, name='甲', phone='13800000001', email='contact500000@qq.com')
    capture(desk, name='乙', phone='13800000002', email='other500000@qq.com')  # the same digits, another word
    capture(desk, name='丙', phone='13800000003', email='500000contact@163.com')  # digits and letters reordered
    assert found(desk, boss, text) == {wanted}
    assert {r.id for r in desk.leads.inbox(boss, search=text)[0]} == {wanted}
