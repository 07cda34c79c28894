"""What tests share, imported from here and never from another test module.

- api: the run's id, the test secret, `unique` names and `Api`, a client of the running app
- identity: `bearer` headers and Sign-In with Ethereum (`siwe`)
- database: a fresh, migrated database made and dropped around a block
- builders: hunts, collectibles and clues through the API, scans, live clients, a Redis of one's own
- processes: the `geohunt` command run as its own process, a free port
- chain: anvil, w3 and a collectible deployed per test (fixtures, registered by tests/conftest.py)
- minting: chain-aware settings, a minting worker in-process or as a process, and the minting
  fixtures (registered by tests/conftest.py)
- codes: QR codes and AR tickets signed as documented, without the code under test
- geo: reference answers for the geo tests from geographiclib
- browser: Debian's Chromium driven by Playwright
- bench: a benchmark's quick mode run as its own command
- admission_app: the app served as `geohunt serve` serves it, with a route that holds its slots
- security: problem assertions, raw requests and the fixtures of the security tests
"""
