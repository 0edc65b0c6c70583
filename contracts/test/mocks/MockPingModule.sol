// SPDX-License-Identifier: MIT
// A minimal module beside the registry, as maintenance and licensing will be: it checks roles in
// the registry and accepts intents with OpenZeppelin NoncesKeyed lanes.
pragma solidity ^0.8.28;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {IntentRelayKeyedNonces} from "../../intents/IntentRelayKeyedNonces.sol";
import {ITwinRegistry} from "../../interfaces/ITwinRegistry.sol";
import {ITwinRoles} from "../../interfaces/ITwinRoles.sol";
import {TwinModule} from "../../modules/TwinModule.sol";

contract MockPingModule is TwinModule, IntentRelayKeyedNonces {
    bytes32 public constant PING_TYPEHASH =
        keccak256("Ping(address signer,uint256 twinId,bytes32 note,uint64 nonce,uint64 deadline)");

    struct PingIntent {
        address signer;
        uint256 twinId;
        bytes32 note;
        uint64 nonce;
        uint64 deadline;
    }

    event Pinged(uint256 indexed twinId, address indexed actor, address owner, bytes32 note);

    constructor(ITwinRegistry registry_) TwinModule(registry_) EIP712("TwinLedger Ping", "1") {}

    function ping(uint256 twinId, bytes32 note) external {
        _ping(msg.sender, twinId, note);
    }

    function pingBySig(PingIntent calldata intent, bytes calldata signature) external {
        bytes32 structHash = keccak256(
            abi.encode(PING_TYPEHASH, intent.signer, intent.twinId, intent.note, intent.nonce, intent.deadline)
        );
        _useIntent(intent.signer, intent.twinId, intent.nonce, intent.deadline, structHash, signature);
        _ping(intent.signer, intent.twinId, intent.note);
    }

    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    function _ping(address actor, uint256 twinId, bytes32 note) private {
        _checkTwinRole(twinId, ITwinRoles.Role.Viewer, actor);
        emit Pinged(twinId, actor, _twinOwner(twinId), note);
    }

    function _isIntentSelector(bytes4 selector) internal pure override returns (bool) {
        return selector == this.pingBySig.selector;
    }
}
