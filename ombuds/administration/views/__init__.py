"""The administration pages under /staff/admin/, by section: staff accounts, the directory, the organisation.

Every view is behind `access.administrator_required`: administrators with the second
factor passed, 404 for everyone else. Every change goes through an action with its
audit event; the views only read forms and show what the action said.
"""
