"""Small pieces shared by the pages: database helpers for callbacks, alerts, tables."""
