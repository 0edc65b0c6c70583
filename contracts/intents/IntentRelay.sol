// SPDX-License-Identifier: MIT
// Shared machinery for offline-signed intents: EIP-712 verification, deadlines, nonce lanes per
// (signer, twin) and a batch relay where one failing intent does not sink the others.
pragma solidity ^0.8.28;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {IIntentRelay} from "../interfaces/IIntentRelay.sol";

/**
 * @title IntentRelay
 * @author TwinLedger
 * @notice Base of every TwinLedger contract that accepts intents. A derived contract exposes one
 * `...BySig(intent, signature)` function per action, which hashes its struct, calls {_useIntent}
 * and then runs the action with the signer as its actor (and checks the signer's role there, at
 * relay time). It lists those functions in {_isIntentSelector} so that {relayBatch} may run them.
 * @dev Nonce storage is left to the derived contract ({_useIntentNonce}, {_intentNonce}): the
 * registry packs each lane beside the signer's roles to save a storage slot per relay; other
 * contracts can use {IntentRelayKeyedNonces} (OpenZeppelin `NoncesKeyed`, key = twin id).
 */
abstract contract IntentRelay is EIP712, IIntentRelay {
    /// @inheritdoc IIntentRelay
    function relayBatch(bytes[] calldata intents) external returns (bool[] memory succeeded) {
        uint256 count = intents.length;
        succeeded = new bool[](count);
        uint256 failed;
        for (uint256 i = 0; i < count; ++i) {
            bytes calldata intent = intents[i];
            bytes4 selector = intent.length < 4 ? bytes4(0) : bytes4(intent[:4]);
            bytes memory reason;
            if (_isIntentSelector(selector)) {
                // A delegatecall to this contract keeps msg.sender and reverts only this entry's
                // state changes when it fails.
                bool ok;
                // slither-disable-next-line controlled-delegatecall
                (ok, reason) = address(this).delegatecall(intent);
                if (ok) {
                    succeeded[i] = true;
                    continue;
                }
            } else {
                reason = abi.encodeWithSelector(IntentNotRelayable.selector, selector);
            }
            ++failed;
            emit IntentFailed(i, reason);
        }
        emit IntentBatchRelayed(msg.sender, count, failed);
    }

    /// @inheritdoc IIntentRelay
    function intentNonce(address signer, uint256 twinId) external view returns (uint64) {
        return _intentNonce(signer, twinId);
    }

    /**
     * @dev Verifies an intent and consumes its nonce: deadline not passed, signature by `signer` over
     * this contract's EIP-712 domain (ECDSA, or ERC-1271 when `signer` is a contract), nonce next in
     * the (signer, twinId) lane. Emits {IntentExecuted}. The caller then runs the action with
     * `signer` as its actor, checking the signer's role there.
     * @param signer The signer named in the intent.
     * @param twinId The twin, which is also the nonce lane.
     * @param nonce The intent's nonce in the lane.
     * @param deadline The intent's deadline (Unix seconds, inclusive).
     * @param structHash The EIP-712 `hashStruct` of the intent.
     * @param signature The signature over the intent's digest.
     * @return digest The EIP-712 digest of the intent.
     */
    function _useIntent(
        address signer,
        uint256 twinId,
        uint64 nonce,
        uint64 deadline,
        bytes32 structHash,
        bytes calldata signature
    ) internal returns (bytes32 digest) {
        if (block.timestamp > deadline) revert IntentExpired(deadline);
        digest = _hashTypedDataV4(structHash);
        if (!_isValidIntentSignature(signer, digest, signature)) revert IntentInvalidSignature(signer);
        _useIntentNonce(signer, twinId, nonce);
        emit IntentExecuted(digest);
    }

    /**
     * @dev ECDSA first (cheap, no code lookup for the common case of a key held by the app's vault),
     * then ERC-1271 for contract signers such as multisig wallets.
     */
    function _isValidIntentSignature(address signer, bytes32 digest, bytes calldata signature)
        internal
        view
        returns (bool)
    {
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(digest, signature);
        if (err == ECDSA.RecoverError.NoError && recovered == signer) return true;
        return signer.code.length != 0
            && SignatureChecker.isValidERC1271SignatureNowCalldata(signer, digest, signature);
    }

    /**
     * @dev Consumes `nonce` in the (signer, twinId) lane; reverts with {IntentNonceMismatch} unless it
     * is the lane's next nonce.
     */
    function _useIntentNonce(address signer, uint256 twinId, uint64 nonce) internal virtual;

    /// @dev The next nonce of the (signer, twinId) lane.
    function _intentNonce(address signer, uint256 twinId) internal view virtual returns (uint64);

    /// @dev Whether {relayBatch} may run a call starting with `selector` (the `...BySig` functions).
    function _isIntentSelector(bytes4 selector) internal view virtual returns (bool);
}
