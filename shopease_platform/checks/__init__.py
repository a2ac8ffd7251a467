"""Asset checks: reconciliation between stores, quarantined documents, freshness."""
