"""What flows through every stage: items, an article's identity, normal text, fingerprints."""
