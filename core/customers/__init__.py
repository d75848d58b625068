"""Customers (客户) and their care (回访): tiers, dormancy, revisit plans and the care reports."""
