"""Who may do what, and what the product does with personal data: users, roles, audit, privacy, backups."""
