import { defineRegistryContract } from "../../testing/registry_contract.ts";
import { POSTGRES_BACKEND } from "../../testing/registry_support.ts";

defineRegistryContract(POSTGRES_BACKEND);
