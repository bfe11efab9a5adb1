"""What a team decided on top of the verdicts: exemptions that expire, owners, the new-code gate."""
