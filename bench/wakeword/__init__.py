"""Wake-word evaluation set and benchmark."""
