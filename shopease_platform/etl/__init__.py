"""MongoDB -> PostgreSQL raw tables: validate, flatten, binary COPY, one transaction per window."""
