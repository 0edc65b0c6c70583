// SPDX-License-Identifier: MIT
// A contract account for payment tests: a provider or owner that can refuse ETH, or try to
// re-enter the maintenance contract when paid.
pragma solidity ^0.8.28;

import {IMaintenance} from "../../maintenance/IMaintenance.sol";

contract MockBondHolder {
    IMaintenance public immutable maintenance;
    bool public refuse;
    bool public reenter;
    uint256 public twinId;
    bytes public lastReentryError;

    constructor(IMaintenance maintenance_) {
        maintenance = maintenance_;
    }

    function configure(bool refuse_, bool reenter_, uint256 twinId_) external {
        refuse = refuse_;
        reenter = reenter_;
        twinId = twinId_;
    }

    function postBond(uint256 twin, uint256 amount) external payable {
        maintenance.postBond{value: amount}(twin, address(0), amount);
    }

    function withdrawBond(uint256 twin, uint256 amount) external {
        maintenance.withdrawBond(twin, address(0), amount);
    }

    function acceptWorkOrder(uint256 orderId) external {
        maintenance.acceptWorkOrder(orderId);
    }

    function withdraw() external returns (uint256) {
        return maintenance.withdraw(address(0));
    }

    // solhint-disable-next-line no-complex-fallback
    receive() external payable {
        // solhint-disable-next-line gas-custom-errors
        require(!refuse, "refused");
        if (reenter) {
            try maintenance.withdrawBond(twinId, address(0), 1) {} catch (bytes memory reason) {
                lastReentryError = reason;
            }
        }
    }
}
