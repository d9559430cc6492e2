{
  "format": "oobaudit-signature/1",
  "algorithm": "ed25519",
  "payload_type": "application/vnd.oobaudit.baseline+yaml;v=1",
  "key_id": "a43016a65f38c7cc",
  "sha256": "d25f2df301670c1313bee8c81cdc21fc9627c32748c5a8c052c35110f1d3d170",
  "signature": "Uaw/zFzx0G/NgJsJmu40ShMwaIhUc89eTLmt1NAgwMGSsOrqdyKjhnq7smfg9tJY3ufo8T6JgFEEk1hhAEslBA=="
}
