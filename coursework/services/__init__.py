"""What students do, as plain functions shared by views, commands and tasks (one module per area)."""
