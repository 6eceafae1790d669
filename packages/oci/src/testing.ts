/**
 * Test helpers for packages that exercise registries for real: Debian's
 * docker-registry (distribution 2.8) on 127.0.0.1, OCI layouts made on the
 * spot, and skopeo as an independent client.
 */
export {
  type LayoutImage,
  makeOciLayout,
  removeLayouts,
  requireTool,
  skopeoCopy,
  skopeoInspectRaw,
  startRegistry,
  type TestRegistry,
} from "./test-support/registry.js";
