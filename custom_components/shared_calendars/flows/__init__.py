"""The flows of a group's subentries, and the sign-in steps every flow shares."""
