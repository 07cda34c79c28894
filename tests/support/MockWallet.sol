// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {IERC721Receiver} from "@openzeppelin/contracts/token/ERC721/IERC721Receiver.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @notice A contract wallet for the swap tests: a signature is valid (ERC-1271) when its owner
/// signed the digest. Armed with a call, it makes that call when it receives a token (as a
/// hostile wallet would, to re-enter the contract that is paying it) and keeps what came back.
contract MockWallet is IERC1271, IERC721Receiver {
    address public immutable owner;
    address public target;
    bytes public armed;
    bool public called;
    bool public callSucceeded;
    bytes public callResult;

    constructor(address owner_) {
        owner = owner_;
    }

    function isValidSignature(bytes32 hash, bytes calldata signature)
        external
        view
        returns (bytes4)
    {
        (address signer, ECDSA.RecoverError err, ) = ECDSA.tryRecover(hash, signature);
        if (err == ECDSA.RecoverError.NoError && signer == owner) {
            return IERC1271.isValidSignature.selector;
        }
        return 0xffffffff;
    }

    function arm(address target_, bytes calldata data) external {
        target = target_;
        armed = data;
    }

    /// @notice The owner moves whatever this wallet holds (`data` is any call).
    function execute(address to, bytes calldata data) external {
        require(msg.sender == owner, "not the owner");
        (bool ok, bytes memory result) = to.call(data);
        if (!ok) {
            assembly {
                revert(add(result, 32), mload(result))
            }
        }
    }

    function onERC721Received(address, address, uint256, bytes calldata)
        external
        returns (bytes4)
    {
        if (armed.length > 0) {
            bytes memory data = armed;
            delete armed;
            called = true;
            (callSucceeded, callResult) = target.call(data);
        }
        return IERC721Receiver.onERC721Received.selector;
    }
}
