"""The pure core: reply parsing, annotation, findings, health judging. No sockets, no terminals."""
