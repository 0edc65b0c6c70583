// SPDX-License-Identifier: MIT
// Intent nonces kept with OpenZeppelin's NoncesKeyed, one key per twin: for contracts beside the
// registry (maintenance, licensing) that accept intents.
pragma solidity ^0.8.28;

import {NoncesKeyed} from "@openzeppelin/contracts/utils/NoncesKeyed.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IntentRelay} from "./IntentRelay.sol";

/**
 * @title IntentRelayKeyedNonces
 * @author TwinLedger
 * @notice {IntentRelay} whose (signer, twin) lanes are OpenZeppelin `NoncesKeyed` keys: the key is
 * the twin id, the sequence the intent's `nonce`. `nonces(signer, twinId)` returns the packed
 * `key << 64 | sequence` as OpenZeppelin defines it; {intentNonce} returns the sequence alone.
 */
abstract contract IntentRelayKeyedNonces is IntentRelay, NoncesKeyed {
    /// @inheritdoc IntentRelay
    function _useIntentNonce(address signer, uint256 twinId, uint64 nonce) internal override {
        uint64 expected = uint64(_useNonce(signer, SafeCast.toUint192(twinId)));
        if (nonce != expected) revert IntentNonceMismatch(signer, twinId, expected);
    }

    /// @inheritdoc IntentRelay
    function _intentNonce(address signer, uint256 twinId) internal view override returns (uint64) {
        return uint64(nonces(signer, SafeCast.toUint192(twinId)));
    }
}
