import { defineRegistryContract } from "./registry_contract.ts";
import { POSTGRES_BACKEND } from "./registry_test_support.ts";

defineRegistryContract(POSTGRES_BACKEND);
