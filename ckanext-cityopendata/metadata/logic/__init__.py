"""Action API, auth and validators of the city schemas."""
