// SPDX-License-Identifier: MIT
// Roles per twin with expiry: the vocabulary every TwinLedger contract uses to ask "who may do this".
pragma solidity ^0.8.28;

/**
 * @title ITwinRoles
 * @author TwinLedger
 * @notice Per-twin roles with an end date. Expiry is enforced at the moment of use: an expired grant
 * grants nothing, with no keeper transaction needed. The twin's token owner is always an ADMIN, so
 * a twin can never be locked out of every admin.
 * @dev A twin's grants can be enumerated from {RoleGranted}, {RoleRevoked} and {EngagementEnded}:
 * replaying them in log order gives each account's current grants and their `expiresAt`.
 */
interface ITwinRoles {
    /// @notice The roles an account can hold on a twin.
    enum Role {
        Admin,
        Editor,
        Maintainer,
        Viewer,
        Sensor
    }

    /**
     * @notice `account` now holds `role` on `twinId` until `expiresAt` (0: no end). Re-granting a
     * role replaces its end date.
     * @param twinId The twin.
     * @param account The account receiving the role.
     * @param role The role granted.
     * @param expiresAt Unix time (seconds) from which the grant no longer counts; 0 for no end.
     * @param actor The admin who granted it.
     */
    event RoleGranted(
        uint256 indexed twinId,
        address indexed account,
        Role indexed role,
        uint40 expiresAt,
        address actor
    );

    /**
     * @notice `account` no longer holds `role` on `twinId`.
     * @param twinId The twin.
     * @param account The account losing the role.
     * @param role The role revoked.
     * @param actor The admin who revoked it.
     */
    event RoleRevoked(uint256 indexed twinId, address indexed account, Role indexed role, address actor);

    /**
     * @notice Every role of `account` on `twinId` was dropped in one step.
     * @param twinId The twin.
     * @param account The account whose engagement ended.
     * @param actor The admin who ended it, or the account itself.
     */
    event EngagementEnded(uint256 indexed twinId, address indexed account, address actor);

    /**
     * @notice `account` lacks a live `role` on `twinId` (never granted, revoked or expired).
     * @param twinId The twin.
     * @param role The role that was required.
     * @param account The account that was checked (the signer, for relayed intents).
     */
    error TwinMissingRole(uint256 twinId, Role role, address account);

    /**
     * @notice A grant's end date is not in the future.
     * @param expiresAt The rejected end date.
     */
    error TwinRoleExpiryInPast(uint40 expiresAt);

    /// @notice A role cannot be granted to the zero address.
    error TwinRoleAccountZero();

    /**
     * @notice Grants `role` on `twinId` to `account` until `expiresAt` (0: no end). Only an ADMIN of
     * the twin may call it.
     * @param twinId The twin.
     * @param role The role to grant.
     * @param account The account receiving the role.
     * @param expiresAt Unix time (seconds) from which the grant no longer counts; 0 for no end.
     */
    function grantRole(uint256 twinId, Role role, address account, uint40 expiresAt) external;

    /**
     * @notice Revokes `role` on `twinId` from `account`. Only an ADMIN of the twin may call it. The
     * token owner stays an ADMIN whatever is revoked.
     * @param twinId The twin.
     * @param role The role to revoke.
     * @param account The account losing the role.
     */
    function revokeRole(uint256 twinId, Role role, address account) external;

    /**
     * @notice Drops every role of `account` on `twinId` in one call. Callable by an ADMIN of the
     * twin, or by `account` itself to resign.
     * @param twinId The twin.
     * @param account The account whose engagement ends.
     */
    function endEngagement(uint256 twinId, address account) external;

    /**
     * @notice Whether `account` holds a live `role` on `twinId` now (the token owner always holds
     * ADMIN).
     * @param twinId The twin.
     * @param role The role asked about.
     * @param account The account asked about.
     * @return True when the role is granted and not expired at this block's timestamp.
     */
    function hasRole(uint256 twinId, Role role, address account) external view returns (bool);

    /**
     * @notice The stored end date of `account`'s `role` on `twinId`.
     * @param twinId The twin.
     * @param role The role asked about.
     * @param account The account asked about.
     * @return expiresAt 0 when never granted (or revoked), `type(uint40).max` for no end, otherwise
     * the Unix time from which the grant no longer counts (it may already have passed).
     */
    function roleExpiresAt(uint256 twinId, Role role, address account) external view returns (uint40 expiresAt);
}
