"""The chain fixtures (anvil, w3, deployer, minter_account, collectible) live in
tests/chain_fixtures.py and reach these tests through tests/conftest.py; importing them here
again would start a second session anvil."""
