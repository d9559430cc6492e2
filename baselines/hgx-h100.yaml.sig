{
  "format": "oobaudit-signature/1",
  "algorithm": "ed25519",
  "payload_type": "application/vnd.oobaudit.baseline+yaml;v=1",
  "key_id": "a43016a65f38c7cc",
  "sha256": "994b43540048f533352824254de4c88e4aa8f3fec774d3cd4ca8e4ea69550794",
  "signature": "rEz6tzkLSoEMY2NX/sWE9Hl519ZbtU3NS+A1zAPmesGE83NhAW8q8yW81eMXehSUh/JTJyLqeJmEWD8hOEnxBQ=="
}
