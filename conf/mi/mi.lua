-- mi.lua - a stand-in for WSO2 Micro Integrator, run by mod_lua inside an
-- httpd with mod_ssl.  It answers the way MI's PassThrough transport does
-- for the handful of artifacts the demo and the tests use, and echoes
-- what reached it (method, raw target, request id, forwarded headers) so
-- that a test can see exactly what the edge let through.

local services = { StockQuoteProxy = true, OrderProxy = true }

local function jstr(s)
    if s == nil then return "null" end
    s = tostring(s):gsub('[%c"\\]', function(c)
        return string.format("\\u%04x", c:byte())
    end)
    return '"' .. s .. '"'
end

local function echo(r, status, what)
    local h = r.headers_in
    r.status = status
    r.content_type = "application/json"
    r:puts('{"mi":', jstr(what),
           ',"method":', jstr(r.method),
           ',"target":', jstr(r.unparsed_uri),
           ',"activityid":', jstr(h["activityid"]),
           ',"x_forwarded_for":', jstr(h["X-Forwarded-For"]),
           ',"x_forwarded_host":', jstr(h["X-Forwarded-Host"]),
           ',"x_forwarded_server":', jstr(h["X-Forwarded-Server"]),
           ',"x_forwarded_proto":', jstr(h["X-Forwarded-Proto"]),
           ',"forwarded":', jstr(h["Forwarded"]),
           ',"x_real_ip":', jstr(h["X-Real-IP"]),
           ',"host":', jstr(h["Host"]),
           '}\n')
    return apache2.OK
end

function handle(r)
    local target = r.unparsed_uri or ""
    -- MI dispatches to a service whenever the raw target holds
    -- "/services/", before any REST API is tried.
    local svc = target:match("/services/([^/%.%?;]*)")
    if svc then
        if services[svc] then
            if r.args and r.args:lower():match("^wsdl") then
                r.content_type = "text/xml"
                r:puts('<wsdl:definitions name="' .. svc .. '"/>\n')
                return apache2.OK
            end
            return echo(r, 200, "proxy-service " .. svc)
        end
        return echo(r, 500, "no such service " .. svc)
    end
    if r.uri == "/testHealth" then
        return echo(r, 200, "healthy")
    end
    if r.uri:match("^/healthcare/") or r.uri == "/healthcare" then
        return echo(r, 200, "api healthcare")
    end
    if r.uri:match("^/management") then
        return echo(r, 200, "management api")
    end
    return echo(r, 404, "no matching resource")
end
