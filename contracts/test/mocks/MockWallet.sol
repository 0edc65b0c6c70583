// SPDX-License-Identifier: MIT
// An ERC-1271 smart wallet whose signatures are its owner key's, to prove contract signers work.
pragma solidity ^0.8.28;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

contract MockWallet is IERC1271 {
    address public immutable keyHolder;

    constructor(address keyHolder_) {
        keyHolder = keyHolder_;
    }

    function isValidSignature(bytes32 digest, bytes calldata signature) external view returns (bytes4) {
        (address recovered,,) = ECDSA.tryRecover(digest, signature);
        return recovered == keyHolder ? IERC1271.isValidSignature.selector : bytes4(0xffffffff);
    }
}
