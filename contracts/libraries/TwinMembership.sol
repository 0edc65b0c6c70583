// SPDX-License-Identifier: MIT
// One storage word per (twin, account): the end date of each of the five roles and the account's
// intent nonce lane for that twin. Relaying an intent thus reads and writes a single slot.
pragma solidity ^0.8.28;

import {ITwinRoles} from "../interfaces/ITwinRoles.sol";

/**
 * @title TwinMembership
 * @author TwinLedger
 * @notice Packing of an account's membership of a twin into one `uint256`:
 * bits [40*r, 40*r+40) hold the end date of role `r` (0: not granted, `NO_EXPIRY`: no end),
 * bits [200, 256) hold the next intent nonce of the account's lane for the twin.
 * @dev Dropping roles never touches the nonce bits, so a signature can never be replayed after an
 * engagement ends and restarts.
 */
library TwinMembership {
    /// @notice Stored end date meaning "no end".
    uint40 internal constant NO_EXPIRY = type(uint40).max;

    uint256 private constant _EXPIRY_BITS = 40;
    uint256 private constant _EXPIRY_MASK = (1 << _EXPIRY_BITS) - 1;
    uint256 private constant _NONCE_SHIFT = 200;
    uint256 private constant _ROLES_MASK = (1 << _NONCE_SHIFT) - 1;

    /// @notice The stored end date of `role` (0 when not granted).
    function expiryOf(uint256 membership, ITwinRoles.Role role) internal pure returns (uint40) {
        return uint40((membership >> (uint256(role) * _EXPIRY_BITS)) & _EXPIRY_MASK);
    }

    /// @notice `membership` with the end date of `role` set to `expiresAt` (0 clears the grant).
    function withExpiry(uint256 membership, ITwinRoles.Role role, uint40 expiresAt) internal pure returns (uint256) {
        uint256 shift = uint256(role) * _EXPIRY_BITS;
        return (membership & ~(_EXPIRY_MASK << shift)) | (uint256(expiresAt) << shift);
    }

    /// @notice Whether `role` is granted and its end date is after `timestamp`.
    function isLive(uint256 membership, ITwinRoles.Role role, uint256 timestamp) internal pure returns (bool) {
        return expiryOf(membership, role) > timestamp;
    }

    /// @notice `membership` with every role dropped and the nonce lane kept.
    function withoutRoles(uint256 membership) internal pure returns (uint256) {
        return membership & ~_ROLES_MASK;
    }

    /// @notice The next nonce of the lane.
    function nonceOf(uint256 membership) internal pure returns (uint64) {
        return uint64(membership >> _NONCE_SHIFT);
    }

    /// @notice `membership` with the lane advanced by one (reverts on overflow after 2^56 intents).
    function withNextNonce(uint256 membership) internal pure returns (uint256) {
        return membership + (1 << _NONCE_SHIFT);
    }
}
