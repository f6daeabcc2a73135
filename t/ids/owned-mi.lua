-- owned-mi.lua - the stand-in MI of t/ids/owned.t: it answers with every
-- header it received, one "header: <name>: <value>" line each, sorted by
-- name.  (Trailers come after the body: the vhost's access log shows
-- them, merged into the headers with MergeTrailers On, once httpd has
-- read the body to its end.)
function handle(r)
    local h = r:headers_in_table()
    local names = {}
    for k in pairs(h) do
        names[#names + 1] = k
    end
    table.sort(names)
    r.content_type = "text/plain"
    r:puts("request: " .. r.method .. " " .. r.unparsed_uri .. "\n")
    for _, k in ipairs(names) do
        r:puts("header: " .. k .. ": " .. h[k] .. "\n")
    end
    return apache2.OK
end
