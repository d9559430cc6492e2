"""Wire formats oobaudit owns: pure functions from bytes to typed values and back, no sockets.

* :mod:`.errors`   - ``WireError`` (a ``ValueError``), the only exception any parser raises;
* :mod:`.rmcp`     - RMCP header, ASF presence ping / pong;
* :mod:`.ipmi15`   - IPMI 1.5 session wrapper, IPMI request/response framing, checksums,
  MD2 / MD5 / straight-password auth codes, completion codes;
* :mod:`.commands` - command data: Get Channel Authentication Capabilities, Get Session
  Challenge, Activate Session, Set Session Privilege, Close Session, Get Device ID,
  Get Channel Cipher Suites, Get LAN Configuration Parameters;
* :mod:`.rmcpplus` - RMCP+ framing (integrity trailer, AES-CBC-128), Open Session,
  RAKP 1-4 messages, algorithm enums, the cipher suite table, status codes;
* :mod:`.rakp`     - RAKP2/3/4 HMACs, SIK/K1/K2, the offline RAKP2 password check
  (CVE-2013-4786) and ``SessionCrypto`` for established sessions.

The same code serves the prober and the mock BMC, so every formula is also pinned
by known-answer tests on traffic captured between independent implementations
(ipmitool, OpenIPMI ipmi_sim); see tests/wire/vectors.py.
"""
