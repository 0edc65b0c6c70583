// SPDX-License-Identifier: MIT
// An ERC-20 for bond tests: anyone may mint, and an optional transfer fee makes it deliver less
// than was sent (a fee-on-transfer token), so bonds must count what arrives.
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

contract MockBondToken is ERC20 {
    uint256 public feeBps;

    constructor() ERC20("Bond Token", "BOND") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setFeeBps(uint256 feeBps_) external {
        feeBps = feeBps_;
    }

    function _update(address from, address to, uint256 value) internal override {
        uint256 fee = from == address(0) || to == address(0) ? 0 : (value * feeBps) / 10_000;
        if (fee != 0) super._update(from, address(0), fee);
        super._update(from, to, value - fee);
    }
}
