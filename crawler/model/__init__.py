"""What flows through every stage: items, sites as data, article identity, normal text and bylines, fingerprints."""
