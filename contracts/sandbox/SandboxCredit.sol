// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title SandboxCredit
/// @notice An ERC-20 for the sandbox chain only: anyone may mint some to themselves, so providers
/// can post SLA bonds in a token (approve, then MaintenanceManager.postBond) without a real one.
/// Never deployed by the app on any other chain.
contract SandboxCredit is ERC20 {
    /// @notice At most this much per mint, so a mistyped amount cannot overflow balances.
    uint256 public constant MAX_MINT = 1_000_000 ether;

    error SandboxCreditMintTooLarge(uint256 amount, uint256 max);

    constructor() ERC20("TwinLedger Sandbox Credit", "TLC") {}

    /// @notice Mints `amount` to the caller (the sandbox's faucet).
    function mint(uint256 amount) external {
        if (amount > MAX_MINT) revert SandboxCreditMintTooLarge(amount, MAX_MINT);
        _mint(msg.sender, amount);
    }
}
