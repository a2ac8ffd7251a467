"""The MongoDB raw store: collections and indexes, transactional window writes, change streams, reports."""
