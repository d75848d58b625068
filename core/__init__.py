"""The rules of LeadDesk. Imports store/, never ui/ (NiceGUI only for the Event type)."""
