// SPDX-License-Identifier: MIT
// Base for contracts that plug into the registry (maintenance and SLAs, licensing): they ask the
// registry who holds which role on a twin, so roles are granted and revoked in one place.
pragma solidity ^0.8.28;

import {ITwinRegistry} from "../interfaces/ITwinRegistry.sol";
import {ITwinRoles} from "../interfaces/ITwinRoles.sol";

/**
 * @title TwinModule
 * @author TwinLedger
 * @notice A contract beside the {ITwinRegistry} that reuses its twin ids and roles. Combine it with
 * {IntentRelayKeyedNonces} to accept offline-signed intents with the same lane rules.
 */
abstract contract TwinModule {
    ITwinRegistry private immutable _registry;

    /// @param registry_ The registry whose twins and roles this module serves.
    constructor(ITwinRegistry registry_) {
        _registry = registry_;
    }

    /**
     * @notice The registry this module reads twins and roles from.
     * @return The registry.
     */
    function registry() public view returns (ITwinRegistry) {
        return _registry;
    }

    /// @dev Reverts with {ITwinRoles.TwinMissingRole} unless `account` holds a live `role` on `twinId`.
    function _checkTwinRole(uint256 twinId, ITwinRoles.Role role, address account) internal view {
        if (!_registry.hasRole(twinId, role, account)) revert ITwinRoles.TwinMissingRole(twinId, role, account);
    }

    /// @dev The twin's current owner (reverts for a twin that does not exist).
    function _twinOwner(uint256 twinId) internal view returns (address) {
        return _registry.ownerOf(twinId);
    }
}
