// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC165} from "@openzeppelin/contracts/interfaces/IERC165.sol";
import {IERC4906} from "@openzeppelin/contracts/interfaces/IERC4906.sol";
import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";

/// @title geohunt collectibles
/// @notice One token per verified find. The backend's mint worker holds MINTER_ROLE and chooses
/// the token ids itself, so a retried mint of the same find reverts instead of minting twice.
/// Two holders can swap tokens one for one: both sign the same EIP-712 offer, anyone relays it
/// (the studio pays the gas), and one transaction moves both tokens or neither. The swap lives in
/// the token contract itself, so no operator approval exists that could be abused later.
/// @dev Metadata is served by the backend under one base URI (`<base><id>`), so a move of that
/// service is one `setBaseURI` call, announced to indexers with ERC-4906.
contract GeohuntCollectible is IERC4906, ERC721, AccessControl, EIP712, Nonces {
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");

    /// @notice The EIP-712 type both parties sign. `nonce` is the maker's counter
    /// (`nonces(maker)`) when the offer was made: raising it cancels every offer made before.
    bytes32 public constant OFFER_TYPEHASH =
        keccak256(
            "Offer(address maker,address taker,uint256 giveId,uint256 wantId,uint256 deadline,"
            "uint256 nonce)"
        );

    /// @dev ERC-4906 has no functions of its own, so its interface id is fixed by the standard.
    bytes4 private constant _ERC4906_INTERFACE_ID = bytes4(0x49064906);

    /// @notice The maker gives `giveId` and gets `wantId` from the taker, if both sign before
    /// `deadline` (a unix time, inclusive) while both still hold their tokens.
    struct Offer {
        address maker;
        address taker;
        uint256 giveId;
        uint256 wantId;
        uint256 deadline;
        uint256 nonce;
    }

    /// @notice What happened to an offer, by its EIP-712 struct hash (never by a signature,
    /// which can be written in more than one form).
    enum OfferState {
        Unused,
        Used,
        Cancelled
    }

    string private _base;

    mapping(bytes32 offerHash => OfferState) private _offers;

    /// @notice Both tokens of `offerHash` changed hands, in this transaction.
    event Swapped(
        bytes32 indexed offerHash,
        address indexed maker,
        address indexed taker,
        uint256 giveId,
        uint256 wantId
    );

    /// @notice The maker cancelled this one offer.
    event OfferCancelled(bytes32 indexed offerHash, address indexed maker);

    /// @notice The maker raised its counter: offers signed with a lower nonce are void.
    event NonceRaised(address indexed maker, uint256 nonce);

    /// @notice `mintBatch` got a different number of recipients and token ids.
    error MintBatchLengthMismatch(uint256 recipients, uint256 tokenIds);

    /// @notice `mintBatch` got no token at all: paying for an empty transaction is a caller bug.
    error MintBatchEmpty();

    /// @notice The offer's deadline has passed.
    error OfferExpired(uint256 deadline);

    /// @notice The offer was relayed already.
    error OfferUsed(bytes32 offerHash);

    /// @notice The maker cancelled the offer.
    error OfferIsCancelled(bytes32 offerHash);

    /// @notice The maker raised its counter since signing: the offer's nonce is not current.
    error OfferNonceStale(uint256 nonce, uint256 current);

    /// @notice An offer must name two parties and two tokens.
    error OfferMalformed();

    /// @notice `signer` did not sign this offer (ECDSA for an account, ERC-1271 for a wallet).
    error BadSignature(address signer);

    /// @notice `holder` no longer holds `tokenId`.
    error TokenNotHeld(uint256 tokenId, address holder, address owner);

    /// @notice Only the offer's maker may cancel it.
    error NotOfferMaker(address caller);

    constructor(
        string memory name_,
        string memory symbol_,
        string memory baseURI_,
        address admin,
        address minter
    ) ERC721(name_, symbol_) EIP712("geohunt", "1") {
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

    // -- swaps ----------------------------------------------------------------------------

    /// @notice Swaps the offer's tokens: `giveId` to the taker, `wantId` to the maker. Anyone may
    /// call it; both parties' signatures of the offer are the authority.
    /// @dev Checks, then the offer marked used, then the transfers: a receiver's callback that
    /// calls back in finds the offer spent. Each transfer checks its sender still holds the token,
    /// so a callback that moves the other token makes the whole swap revert.
    function swap(
        Offer calldata offer,
        bytes calldata makerSignature,
        bytes calldata takerSignature
    ) external {
        if (block.timestamp > offer.deadline) {
            revert OfferExpired(offer.deadline);
        }
        if (
            offer.maker == offer.taker ||
            offer.giveId == offer.wantId ||
            offer.maker == address(0) ||
            offer.taker == address(0)
        ) {
            revert OfferMalformed();
        }
        uint256 current = nonces(offer.maker);
        if (offer.nonce != current) {
            revert OfferNonceStale(offer.nonce, current);
        }
        bytes32 offerHash = hashOffer(offer);
        _checkUnused(offerHash);
        bytes32 digest = _hashTypedDataV4(offerHash);
        if (!SignatureChecker.isValidSignatureNowCalldata(offer.maker, digest, makerSignature)) {
            revert BadSignature(offer.maker);
        }
        if (!SignatureChecker.isValidSignatureNowCalldata(offer.taker, digest, takerSignature)) {
            revert BadSignature(offer.taker);
        }
        _checkHeld(offer.giveId, offer.maker);
        _checkHeld(offer.wantId, offer.taker);

        _offers[offerHash] = OfferState.Used;
        emit Swapped(offerHash, offer.maker, offer.taker, offer.giveId, offer.wantId);

        _safeTransfer(offer.maker, offer.taker, offer.giveId, "");
        _safeTransfer(offer.taker, offer.maker, offer.wantId, "");
    }

    /// @notice The maker cancels one offer for good, signed or not, relayed or not.
    function cancelOffer(Offer calldata offer) external {
        if (msg.sender != offer.maker) {
            revert NotOfferMaker(msg.sender);
        }
        bytes32 offerHash = hashOffer(offer);
        _checkUnused(offerHash);
        _offers[offerHash] = OfferState.Cancelled;
        emit OfferCancelled(offerHash, msg.sender);
    }

    /// @notice The caller raises its counter by one: every offer it made so far is void.
    function cancelAllOffers() external {
        emit NonceRaised(msg.sender, _useNonce(msg.sender) + 1);
    }

    /// @notice The offer's EIP-712 struct hash: its name on chain (events, `offerState`).
    function hashOffer(Offer calldata offer) public pure returns (bytes32) {
        return
            keccak256(
                abi.encode(
                    OFFER_TYPEHASH,
                    offer.maker,
                    offer.taker,
                    offer.giveId,
                    offer.wantId,
                    offer.deadline,
                    offer.nonce
                )
            );
    }

    /// @notice The digest both parties sign (`eth_signTypedData_v4` of the offer).
    function offerDigest(Offer calldata offer) external view returns (bytes32) {
        return _hashTypedDataV4(hashOffer(offer));
    }

    function offerState(bytes32 offerHash) external view returns (OfferState) {
        return _offers[offerHash];
    }

    // -- ERC-165, metadata ------------------------------------------------------------------

    function supportsInterface(
        bytes4 interfaceId
    ) public view override(IERC165, ERC721, AccessControl) returns (bool) {
        return interfaceId == _ERC4906_INTERFACE_ID || super.supportsInterface(interfaceId);
    }

    function _baseURI() internal view override returns (string memory) {
        return _base;
    }

    function _checkUnused(bytes32 offerHash) private view {
        OfferState state = _offers[offerHash];
        if (state == OfferState.Used) {
            revert OfferUsed(offerHash);
        }
        if (state == OfferState.Cancelled) {
            revert OfferIsCancelled(offerHash);
        }
    }

    function _checkHeld(uint256 tokenId, address holder) private view {
        address owner = _ownerOf(tokenId);
        if (owner != holder) {
            revert TokenNotHeld(tokenId, holder, owner);
        }
    }
}
