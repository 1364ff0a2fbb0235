# syntax=docker/dockerfile:1
# The web app's packages (Vite 8 needs Node 20.19 or later; Ubuntu 24.04 ships 18).
FROM node:22-bookworm-slim AS web-deps
WORKDIR /src/web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

# The Flowstate silo image: `docker build -t flowstate .` at the repository root (see README "Deploying").
# The same image runs the silos (`serve`, the default) and the schema job (`migrate`).

# Build: the .NET SDK on Ubuntu 24.04, plus Node and npm, which the silo build needs to fetch
# GraphiQL's assets (silo/ide, npm ci; nothing is loaded from a CDN at run time).
FROM mcr.microsoft.com/dotnet/sdk:10.0-noble AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/*
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
WORKDIR /src
# Restore first, from the project files alone, so source edits reuse the cached packages.
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY grain-interfaces/Flowstate.Abstractions.csproj grain-interfaces/
COPY connectors/Flowstate.Connectors.csproj connectors/
COPY grains/Flowstate.Grains.csproj grains/
COPY graphql/Flowstate.GraphQL.csproj graphql/
COPY demo/Flowstate.Demo.csproj demo/
COPY silo/Flowstate.Silo.csproj silo/
RUN dotnet restore silo/Flowstate.Silo.csproj
COPY silo/ide/package.json silo/ide/package-lock.json silo/ide/
RUN cd silo/ide && npm ci --no-audit --no-fund --loglevel=error
COPY grain-interfaces/ grain-interfaces/
COPY connectors/ connectors/
COPY grains/ grains/
COPY graphql/ graphql/
COPY demo/ demo/
COPY silo/ silo/
# The web app is built in its own stage (-p:BuildWeb=false here), against the schema this silo prints.
RUN dotnet publish silo/Flowstate.Silo.csproj -c Release --no-restore -o /app -p:BuildWeb=false \
 && dotnet /app/Flowstate.Silo.dll schema > /src/schema.graphql

# The web app (web/): typed operations checked against the silo's schema, then the Vite build.
FROM web-deps AS web
COPY web/ ./
COPY --from=build /src/schema.graphql ./schema.graphql
RUN npm run build

# Run: the ASP.NET Core runtime on Ubuntu Chiseled (no shell, no package manager), as the
# image's non-root user. Kubernetes mounts a writable /tmp; everything else can stay read-only.
FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled AS runtime
WORKDIR /app
COPY --from=build /app ./
COPY --from=web /src/web/dist ./wwwroot
ENV FLOWSTATE_HTTP=http://0.0.0.0:8080 \
    FLOWSTATE_DEMO=0 \
    DOTNET_CLI_TELEMETRY_OPTOUT=1
# HTTP (GraphQL, health, /metrics), silo-to-silo, Orleans gateway.
EXPOSE 8080 11111 30000
USER 1654
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 CMD ["dotnet", "Flowstate.Silo.dll", "probe"]
ENTRYPOINT ["dotnet", "Flowstate.Silo.dll"]
CMD ["serve"]
