import type http2 from "node:http2";
import { create, isMessage, toBinary, type DescMethodUnary, type DescService } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  createContextValues,
  type HandlerContext,
  type Interceptor,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import { kPeer, type Peer } from "../service/peer.js";
import { decode, finish, frame, isPlainGrpc, readEnvelope, respondOnce } from "./grpc-wire.js";
import { reportError, type InFlight } from "./interceptors.js";
import type { Logger } from "./logger.js";

/*
 * The gRPC fast path for unary calls, beneath the Connect-Node router. Connect-Node's
 * generic path builds, for every call, a WHATWG Request-like object with Headers, a linked
 * AbortController with its deadline, async iterables over the body and the response, and
 * three more Headers for the handler: about a third of the daemon's CPU per SetStatus in a
 * profile. Here a plain gRPC call (isPlainGrpc) reads its one envelope, runs the same
 * handler with a context whose costly parts (signal, headers, URL) are made only if the
 * handler reads them, and writes one frame and the trailers. Authentication, error mapping
 * and logging are the Connect path's own functions, the outer interceptors (the dashboard's
 * metrics) run around each call as Connect runs them, and unary calls count as in flight for
 * a graceful stop, so both paths answer and account alike.
 */

/** A service and its handlers, as registered on the router. */
export interface ServedService {
  service: DescService;
  // The generated ServiceImpl's methods, called with (request, context).
  impl: object;
}

/** What the unary fast path needs from the server. */
export interface GrpcUnaryOptions {
  log: Logger;
  maxRequestBytes: number;
  /** Largest response message (Connect's writeMaxBytes). */
  maxResponseBytes: number;
  /** Throws UnauthenticatedError when the peer needs a token and has none (auth.ts). */
  authorize?: (peer: Peer, authorization: string | null) => void;
  /**
   * Interceptors around every call (outermost first): the dashboard's metrics. Each must
   * pass the request on as it got it (a spread copy would lose its lazily made fields).
   */
  interceptors: Interceptor[];
  inflight: InFlight;
}

type Handler = (request: unknown, context: HandlerContext) => Promise<unknown> | unknown;
type Call = (request: UnaryRequest) => Promise<UnaryResponse>;

/** One unary method: its descriptors and the call with the interceptors applied. */
interface UnaryRoute {
  service: DescService;
  method: DescMethodUnary;
  call: Call;
}

/** What the call needs beyond the UnaryRequest: the peer and the HTTP/2 request. */
interface CallState {
  req: http2.Http2ServerRequest;
  peer: Peer;
  signal: () => AbortSignal;
}

/** The fast path of every unary method of `services`, by request path. */
export class GrpcUnary {
  private readonly routes = new Map<string, UnaryRoute>();

  constructor(
    services: ServedService[],
    private readonly options: GrpcUnaryOptions,
  ) {
    for (const { service, impl } of services) {
      for (const method of service.methods) {
        const handler = (impl as Record<string, unknown>)[method.localName];
        if (method.methodKind !== "unary" || typeof handler !== "function") continue;
        const unary = method as DescMethodUnary;
        const inner = this.inner(service, unary, (handler as Handler).bind(impl));
        const call = options.interceptors.reduceRight<Call>((next, interceptor) => interceptor(next as never) as unknown as Call, inner);
        this.routes.set(`/${service.typeName}/${method.name}`, { service, method: unary, call });
      }
    }
  }

  /** True when the request is a plain gRPC call of a unary method this path serves. */
  accepts(headers: http2.IncomingHttpHeaders): boolean {
    return this.routes.has(String(headers[":path"])) && isPlainGrpc(headers);
  }

  /** Serves one call that accepts() took. */
  async serve(req: http2.Http2ServerRequest, res: http2.Http2ServerResponse, peer: Peer): Promise<void> {
    const { stream } = req;
    const route = this.routes.get(String(req.headers[":path"]))!;
    stream.on("error", () => undefined); // a reset stream is the client's leaving
    let controller: AbortController | undefined;
    const signal = () => {
      if (!controller) {
        const made = (controller = new AbortController());
        const leave = () => made.abort(new ConnectError("the client left", Code.Canceled));
        if (stream.closed || stream.destroyed) leave();
        else stream.once("close", leave);
      }
      return controller.signal;
    };
    let error: ConnectError | undefined;
    let response: UnaryResponse | undefined;
    try {
      const message = decode(route.method.input, await readEnvelope(req, this.options.maxRequestBytes, "unary"));
      response = await route.call(unaryRequest(route, message, { req, peer, signal }));
    } catch (err) {
      // The inner call maps its own errors; what an interceptor throws is mapped here.
      error = err instanceof ConnectError ? err : reportError(this.options.log, err, route.method.name, signal());
    }
    if (response && !error) {
      const payload = toBinary(route.method.output, response.message);
      if (payload.byteLength > this.options.maxResponseBytes) {
        error = new ConnectError(`message size ${payload.byteLength} is larger than configured writeMaxBytes ${this.options.maxResponseBytes}`, Code.ResourceExhausted);
      } else if (!stream.destroyed && !stream.closed) {
        respondOnce(stream);
        stream.write(frame(payload));
      }
    }
    controller?.abort(new ConnectError("the call is over", Code.Canceled));
    finish(res, error);
  }

  // The handler call as the router would make it: inside the error mapping (which also
  // counts the call in flight) and the token check.
  private inner(service: DescService, method: DescMethodUnary, handler: Handler): Call {
    const { log, authorize, inflight } = this.options;
    return async (request) => {
      const state = (request as unknown as FastUnaryRequest).state;
      inflight.count++;
      try {
        const authorization = state.req.headers.authorization;
        authorize?.(state.peer, typeof authorization === "string" ? authorization : null);
        const result = await handler(request.message, new FastHandlerContext(service, method, request, state) as unknown as HandlerContext);
        const message = isMessage(result, method.output) ? result : create(method.output, result as never);
        return new FastUnaryResponse(service, method, message) as unknown as UnaryResponse;
      } catch (err) {
        throw reportError(log, err, method.name, state.signal());
      } finally {
        inflight.done();
      }
    };
  }
}

// The request an interceptor sees; its headers and URL are built only when read (getters on
// a class: defining lazy properties per object costs more than the call saves).
class FastUnaryRequest {
  readonly stream = false;
  readonly requestMethod = "POST";
  readonly contextValues;
  private headers: Headers | undefined;

  constructor(
    readonly service: DescService,
    readonly method: DescMethodUnary,
    readonly message: unknown,
    readonly state: CallState,
  ) {
    this.contextValues = createContextValues().set(kPeer, state.peer);
  }

  get url(): string {
    return requestUrl(this.state.req);
  }

  get signal(): AbortSignal {
    return this.state.signal();
  }

  get header(): Headers {
    return (this.headers ??= webHeaders(this.state.req.headers));
  }
}

function unaryRequest(route: UnaryRoute, message: unknown, state: CallState): UnaryRequest {
  return new FastUnaryRequest(route.service, route.method, message, state) as unknown as UnaryRequest;
}

/** Response headers and trailers, made when first read. Our handlers set none, so none are sent from them. */
class LazyResponseHeaders {
  private madeHeader: Headers | undefined;
  private madeTrailer: Headers | undefined;

  get header(): Headers {
    return (this.madeHeader ??= new Headers());
  }

  get trailer(): Headers {
    return (this.madeTrailer ??= new Headers());
  }
}

class FastUnaryResponse extends LazyResponseHeaders {
  readonly stream = false;

  constructor(
    readonly service: DescService,
    readonly method: DescMethodUnary,
    readonly message: unknown,
  ) {
    super();
  }
}

// The context a handler sees: Connect's fields, the costly ones made when first read.
class FastHandlerContext extends LazyResponseHeaders {
  readonly protocolName = "grpc";
  readonly requestMethod = "POST";

  constructor(
    readonly service: DescService,
    readonly method: DescMethodUnary,
    private readonly request: UnaryRequest,
    private readonly state: CallState,
  ) {
    super();
  }

  timeoutMs(): undefined {
    return undefined;
  }

  get values() {
    return this.request.contextValues;
  }

  get url(): string {
    return this.request.url;
  }

  get signal(): AbortSignal {
    return this.state.signal();
  }

  get requestHeader(): Headers {
    return this.request.header;
  }

  get responseHeader(): Headers {
    return this.header;
  }

  get responseTrailer(): Headers {
    return this.trailer;
  }
}

function webHeaders(headers: http2.IncomingHttpHeaders): Headers {
  const out = new Headers();
  for (const [key, value] of Object.entries(headers)) {
    if (key.startsWith(":") || value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) out.append(key, v);
  }
  return out;
}

function requestUrl(req: http2.Http2ServerRequest): string {
  return `http://${req.headers[":authority"] ?? "localhost"}${req.headers[":path"] ?? "/"}`;
}
