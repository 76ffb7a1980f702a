"""Authentication, sessions, passwords, staff roles and assisted access."""
