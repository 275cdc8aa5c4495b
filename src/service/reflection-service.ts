import { toBinary, type DescFile, type DescService } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { createRegistry, type Registry } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { ServerReflection as ReflectionV1, type ServerReflectionRequest } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ReflectionV1Alpha } from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";

/*
 * gRPC server reflection (grpc.reflection.v1, and v1alpha for older clients), so grpcurl,
 * `buf curl`, Postman and grpc_cli discover the API without a copy of the protos. It lists
 * the services the router serves and hands out their files (with every dependency) by
 * file name or by symbol.
 */

const NOT_FOUND = 5;
const UNIMPLEMENTED = 12;

interface Index {
  services: string[];
  registry: Registry;
  files: Map<string, DescFile>;
}

/** Builds the index of the given services' files and their dependencies. */
function indexOf(services: readonly DescService[]): Index {
  const files = new Map<string, DescFile>();
  const add = (file: DescFile) => {
    if (files.has(file.name + ".proto")) return;
    files.set(file.name + ".proto", file);
    file.dependencies.forEach(add);
  };
  services.forEach((s) => add(s.file));
  return { services: services.map((s) => s.typeName), registry: createRegistry(...files.values()), files };
}

/** The file and all its dependencies, serialized, the file itself first. */
function withDependencies(file: DescFile): Uint8Array[] {
  const seen = new Set<string>();
  const out: Uint8Array[] = [];
  const visit = (f: DescFile) => {
    if (seen.has(f.name)) return;
    seen.add(f.name);
    out.push(toBinary(FileDescriptorProtoSchema, f.proto));
    f.dependencies.forEach(visit);
  };
  visit(file);
  return out;
}

function fileOfSymbol(index: Index, symbol: string): DescFile | undefined {
  const found = index.registry.get(symbol);
  if (found && "file" in found) return found.file;
  const dot = symbol.lastIndexOf(".");
  if (dot < 0) return undefined;
  const parent = index.registry.get(symbol.slice(0, dot)); // a method or a field
  return parent && "file" in parent ? parent.file : undefined;
}

type Answer = Record<string, unknown>;

function answer(index: Index, req: ServerReflectionRequest): Answer {
  const error = (code: number, message: string): Answer => ({ case: "errorResponse", value: { errorCode: code, errorMessage: message } });
  const files = (file: DescFile | undefined, what: string): Answer =>
    file ? { case: "fileDescriptorResponse", value: { fileDescriptorProto: withDependencies(file) } } : error(NOT_FOUND, `${what} not found`);
  const request = req.messageRequest;
  switch (request.case) {
    case "listServices":
      return { case: "listServicesResponse", value: { service: index.services.map((name) => ({ name })) } };
    case "fileByFilename":
      return files(index.files.get(request.value), `file "${request.value}"`);
    case "fileContainingSymbol":
      return files(fileOfSymbol(index, request.value), `symbol "${request.value}"`);
    case "fileContainingExtension":
    case "allExtensionNumbersOfType":
      return error(NOT_FOUND, "no extensions are defined");
    default:
      return error(UNIMPLEMENTED, "unknown reflection request");
  }
}

/** Both reflection services over the given services (include the reflection services themselves). */
export function reflectionServices(services: readonly DescService[]): {
  v1: ServiceImpl<typeof ReflectionV1>;
  v1alpha: ServiceImpl<typeof ReflectionV1Alpha>;
} {
  const index = indexOf(services);
  const handler = async function* (requests: AsyncIterable<ServerReflectionRequest>) {
    for await (const req of requests) {
      yield { validHost: req.host, originalRequest: req, messageResponse: answer(index, req) } as never;
    }
  };
  return {
    v1: { serverReflectionInfo: handler },
    v1alpha: { serverReflectionInfo: handler as never },
  };
}

/** The reflection service descriptors, to register and to list. */
export const REFLECTION_SERVICES = [ReflectionV1, ReflectionV1Alpha] as const;
