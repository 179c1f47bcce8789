"""The rules of the offices' terms, as keyword-only functions that take a session and the actor.

Every function that writes takes ``actor`` (the signed-in staff member), checks the role here —
not in the UI — and appends to the audit trail in the same transaction.
"""
