// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC165} from "@openzeppelin/contracts/interfaces/IERC165.sol";
import {IERC4906} from "@openzeppelin/contracts/interfaces/IERC4906.sol";
import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";

/// @title geohunt collectibles
/// @notice One token per verified find. The backend's mint worker holds MINTER_ROLE and chooses
/// the token ids itself, so a retried mint of the same find reverts instead of minting twice.
/// @dev Metadata is served by the backend under one base URI (`<base><id>`), so a move of that
/// service is one `setBaseURI` call, announced to indexers with ERC-4906.
contract GeohuntCollectible is IERC4906, ERC721, AccessControl {
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");

    /// @dev ERC-4906 has no functions of its own, so its interface id is fixed by the standard.
    bytes4 private constant _ERC4906_INTERFACE_ID = bytes4(0x49064906);

    string private _base;

    /// @notice `mintBatch` got a different number of recipients and token ids.
    error MintBatchLengthMismatch(uint256 recipients, uint256 tokenIds);

    /// @notice `mintBatch` got no token at all: paying for an empty transaction is a caller bug.
    error MintBatchEmpty();

    constructor(
        string memory name_,
        string memory symbol_,
        string memory baseURI_,
        address admin,
        address minter
    ) ERC721(name_, symbol_) {
        _base = baseURI_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(MINTER_ROLE, minter);
    }

    /// @notice Mints `tokenId` to `to`; reverts with `ERC721InvalidSender(0)` if it exists.
    /// @dev `_safeMint`: a contract wallet that cannot hold ERC-721 tokens is refused rather than
    /// left with a token it can never move.
    function mint(address to, uint256 tokenId) external onlyRole(MINTER_ROLE) {
        _safeMint(to, tokenId);
    }

    /// @notice Mints `tokenIds[i]` to `to[i]`, all or nothing.
    function mintBatch(
        address[] calldata to,
        uint256[] calldata tokenIds
    ) external onlyRole(MINTER_ROLE) {
        if (to.length != tokenIds.length) {
            revert MintBatchLengthMismatch(to.length, tokenIds.length);
        }
        if (to.length == 0) {
            revert MintBatchEmpty();
        }
        for (uint256 i = 0; i < to.length; ++i) {
            _safeMint(to[i], tokenIds[i]);
        }
    }

    /// @notice Moves every token's metadata to `<baseURI_><id>`.
    function setBaseURI(string calldata baseURI_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _base = baseURI_;
        emit BatchMetadataUpdate(0, type(uint256).max);
    }

    function supportsInterface(
        bytes4 interfaceId
    ) public view override(IERC165, ERC721, AccessControl) returns (bool) {
        return interfaceId == _ERC4906_INTERFACE_ID || super.supportsInterface(interfaceId);
    }

    function _baseURI() internal view override returns (string memory) {
        return _base;
    }
}
