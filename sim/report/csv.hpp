#pragma once
/// CSV records as RFC 4180 defines them: fields separated by commas, a field holding a comma, a
/// double quote, CR or LF enclosed in double quotes with its quotes doubled, records ended by
/// CRLF (the quoting is libcsv's). Fields are made valid UTF-8 first (valid_utf8()), so any bytes in a name give a file
/// that pandas, spreadsheets and gnuplot read.
#include <string>
#include <vector>

namespace npusim::sim {

/// One record, CRLF included.
std::string csv_record(const std::vector<std::string>& fields);

}  // namespace npusim::sim
