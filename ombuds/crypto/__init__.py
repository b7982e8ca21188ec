"""Encryption at rest: keys, key derivation, field encryption and encrypted files.

A pure library with no models: kdf.py derives keys from passwords and receipts,
keys.py holds the key types, sealed boxes and field encryption, stream.py encrypts
files chunk by chunk, and filestore.py keeps encrypted files in a directory.
docs/security.md describes the key hierarchy these pieces are meant to build.
"""
