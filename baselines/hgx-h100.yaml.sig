{
  "format": "oobaudit-signature/1",
  "algorithm": "ed25519",
  "payload_type": "application/vnd.oobaudit.baseline+yaml;v=1",
  "key_id": "a43016a65f38c7cc",
  "sha256": "9da6d5d7dae60eb1520ea4d09da1850b21756a0228a18e999333e3c1f0d94296",
  "signature": "dF0H6aT9bzSlKUnkGykRdtpO0sAr0WTN9IJKQta8OL1vZ3TS+77sK1d9I0jNnArOUkjQTv99Gbd1bfi0bEVpAQ=="
}
