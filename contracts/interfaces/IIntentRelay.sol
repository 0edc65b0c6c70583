// SPDX-License-Identifier: MIT
// Offline-signed intents: the events and errors every TwinLedger contract that accepts EIP-712
// intents shares, and its batch relay.
pragma solidity ^0.8.28;

/**
 * @title IIntentRelay
 * @author TwinLedger
 * @notice An intent is an action signed offline by its actor (EIP-712, domain with name, version,
 * chainId and verifyingContract) and relayed later by anyone. Each signer has one nonce lane per
 * twin, so queues for different twins never block each other; each intent carries a deadline. The
 * signer's role is checked when the intent is relayed, not when it was signed.
 */
interface IIntentRelay {
    /**
     * @notice An intent was verified and its nonce consumed; the action's own event, naming the
     * signer as actor and the twin, follows in the same transaction.
     * @param digest The EIP-712 digest that was signed (the app's idempotency key).
     */
    event IntentExecuted(bytes32 indexed digest);

    /**
     * @notice The intent at `index` of a batch failed; its effects were rolled back, the others stand.
     * @param index Position of the intent in the batch.
     * @param reason The revert data (a custom error such as `TwinMissingRole(...)`), ABI-decodable.
     */
    event IntentFailed(uint256 indexed index, bytes reason);

    /**
     * @notice A batch was relayed.
     * @param relayer Who submitted the batch (pays gas; not an actor of any intent).
     * @param count Number of intents in the batch.
     * @param failed Number of them that failed (each reported by {IntentFailed}).
     */
    event IntentBatchRelayed(address indexed relayer, uint256 count, uint256 failed);

    /**
     * @notice The intent's deadline has passed.
     * @param deadline The intent's deadline (Unix seconds).
     */
    error IntentExpired(uint64 deadline);

    /**
     * @notice The signature is not `signer`'s over this intent, this chain and this contract.
     * @param signer The signer named in the intent.
     */
    error IntentInvalidSignature(address signer);

    /**
     * @notice The intent's nonce is not the next one of its lane (already used, or out of order).
     * @param signer The signer named in the intent.
     * @param twinId The lane (twin).
     * @param expected The lane's next nonce.
     */
    error IntentNonceMismatch(address signer, uint256 twinId, uint64 expected);

    /**
     * @notice A batch entry is not a call to one of this contract's intent functions.
     * @param selector The entry's first four bytes (zero when shorter).
     */
    error IntentNotRelayable(bytes4 selector);

    /**
     * @notice Relays many intents in one transaction. Each entry is the ABI-encoded call of one of
     * this contract's `...BySig` functions. An entry that fails is rolled back alone and reported by
     * {IntentFailed}; the others take effect.
     * @param intents The encoded intent calls, executed in order.
     * @return succeeded For each entry, whether it took effect.
     */
    function relayBatch(bytes[] calldata intents) external returns (bool[] memory succeeded);

    /**
     * @notice The next nonce of `signer`'s lane for `twinId`.
     * @param signer The signer.
     * @param twinId The twin (lane).
     * @return The nonce the next intent of that lane must carry.
     */
    function intentNonce(address signer, uint256 twinId) external view returns (uint64);
}
