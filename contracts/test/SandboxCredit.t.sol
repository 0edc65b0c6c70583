// SPDX-License-Identifier: MIT
// The sandbox's faucet token: anyone mints up to the cap to themselves, and a provider's bond
// posted in it (approve, then postBond) is counted in full and withdrawn back.
pragma solidity ^0.8.28;

import {MaintenanceFixture} from "./MaintenanceFixture.sol";
import {SandboxCredit} from "../sandbox/SandboxCredit.sol";

contract SandboxCreditTest is MaintenanceFixture {
    SandboxCredit internal credit;

    function setUp() public override {
        super.setUp();
        credit = new SandboxCredit();
    }

    function test_mint_toCaller() public {
        vm.prank(provider);
        credit.mint(5 ether);
        assertEq(credit.balanceOf(provider), 5 ether, "minted to the caller");
        assertEq(credit.totalSupply(), 5 ether, "supply");
        assertEq(bytes(credit.symbol()), bytes("TLC"), "symbol");
        assertEq(credit.decimals(), 18, "decimals");
    }

    function test_mint_overCap_reverts() public {
        uint256 tooMuch = credit.MAX_MINT() + 1;
        uint256 cap = credit.MAX_MINT();
        vm.expectRevert(abi.encodeWithSelector(SandboxCredit.SandboxCreditMintTooLarge.selector, tooMuch, cap));
        vm.prank(provider);
        credit.mint(tooMuch);
    }

    function test_bond_inCredit_postedAndWithdrawn() public {
        vm.startPrank(provider);
        credit.mint(10 ether);
        credit.approve(address(manager), 4 ether);
        maintenance.postBond(twin, address(credit), 4 ether);
        (uint256 amount,) = maintenance.bondOf(twin, provider, address(credit));
        assertEq(amount, 4 ether, "bond counted in full");
        assertEq(credit.balanceOf(provider), 6 ether, "paid in");
        maintenance.withdrawBond(twin, address(credit), 1 ether);
        vm.stopPrank();
        (amount,) = maintenance.bondOf(twin, provider, address(credit));
        assertEq(amount, 3 ether, "bond after the withdrawal");
        assertEq(credit.balanceOf(provider), 7 ether, "paid back");
    }
}
