"""Playbooks (跟进SOP与话术): steps per status and stage, the checklist kept in the services'
transactions, defaults, and the checklist report."""
