"""What a result's key is made of: hashes, environment, plan, extras, snapshot."""
