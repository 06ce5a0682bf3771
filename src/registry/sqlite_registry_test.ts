import { defineRegistryContract } from "./registry_contract.ts";
import { SQLITE_BACKEND } from "./registry_test_support.ts";

defineRegistryContract(SQLITE_BACKEND);
