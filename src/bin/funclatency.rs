fn main() {
    std::process::exit(lktrace::cli::main_for(Some("funclatency")));
}
