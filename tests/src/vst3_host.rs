//! A headless VST3 host (the `vst3` crate's COM bindings and `libloading`) that loads the built
//! `MCCLSTM.vst3` bundle the way a Linux DAW does: dlopen, `ModuleEntry`, `GetPluginFactory`,
//! instantiate the audio module class as an `IComponent`, initialise it with a host context, load
//! a state, set up stereo buses and processing, render, save the state through an `IBStream`,
//! then terminate, release, `ModuleExit` and unload. Same shape as the CLAP [`crate::Session`].

use std::cell::{Cell, RefCell};
use std::ffi::{c_char, c_void};
use std::path::{Path, PathBuf};
use std::ptr;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use libloading::os::unix::{Library, RTLD_LOCAL, RTLD_NOW};
use vst3::Steinberg::IBStream_::IStreamSeekMode_::{kIBSeekCur, kIBSeekEnd, kIBSeekSet};
use vst3::Steinberg::Vst::BusDirections_::{kInput, kOutput};
use vst3::Steinberg::Vst::{
    AudioBusBuffers, AudioBusBuffers__type0, IAudioProcessor, IAudioProcessorTrait, IComponent,
    IComponentTrait, IHostApplication, IHostApplicationTrait, MediaTypes_, ProcessData,
    ProcessModes_, ProcessSetup, SpeakerArr, SpeakerArrangement, String128, SymbolicSampleSizes_,
};
use vst3::Steinberg::{
    FUnknown, IBStream, IBStreamTrait, IPluginBaseTrait, IPluginFactory, IPluginFactory2,
    IPluginFactory2Trait, IPluginFactoryTrait, PClassInfo2, TUID, int32, int64, kInvalidArgument,
    kNoInterface, kNotImplemented, kResultFalse, kResultOk, tresult,
};
use vst3::{Class, ComPtr, ComWrapper, Interface};

use crate::{Processed, Schedule};

type ModuleEntryFn = unsafe extern "C" fn(*mut c_void) -> bool;
type ModuleExitFn = unsafe extern "C" fn() -> bool;
type GetPluginFactoryFn = unsafe extern "system" fn() -> *mut c_void;

/// Where the VST3 bundle under test is: `MCCLSTM_VST3_BUNDLE`, else the release bundle where
/// `cargo xtask bundle mcclstm-plugin --release` writes it. A missing bundle is an error, never a
/// skipped test.
pub fn vst3_bundle_path() -> anyhow::Result<PathBuf> {
    crate::existing_bundle(
        "MCCLSTM_VST3_BUNDLE",
        "bundled/MCCLSTM.vst3",
        "cargo xtask bundle mcclstm-plugin --release",
    )
}

/// Turns anything but `kResultOk` from `step` into an error that names the plugin's answer.
fn check(result: tresult, step: &str) -> anyhow::Result<()> {
    let name = match result {
        r if r == kResultOk => return Ok(()),
        r if r == kResultFalse => "kResultFalse".to_owned(),
        r if r == kInvalidArgument => "kInvalidArgument".to_owned(),
        r if r == kNotImplemented => "kNotImplemented".to_owned(),
        r if r == kNoInterface => "kNoInterface".to_owned(),
        r => format!("tresult {r}"),
    };
    bail!("{step} returned {name}")
}

/// Writes `value` through an out-pointer the caller may have left null.
///
/// # Safety
/// `out` must be null or valid for a write of `T`.
unsafe fn put<T>(out: *mut T, value: T) {
    if !out.is_null() {
        // SAFETY: non-null, and valid for writes by the caller's contract.
        unsafe { out.write(value) };
    }
}

/// A NUL-terminated `char8` field of a factory struct as a `String`.
fn text(chars: &[c_char]) -> String {
    let bytes: Vec<u8> = chars
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The exported function `name`, if the library has it.
///
/// # Safety
/// `T` must be the symbol's real type, and the result must not be called after `library` drops.
unsafe fn symbol<T: Copy>(library: &Library, name: &[u8]) -> Option<T> {
    // SAFETY: forwarded to the caller.
    unsafe { library.get::<T>(name) }.ok().map(|s| *s)
}

/// The loaded module. Fields drop in order: the factory is released, then `Loaded` calls
/// `ModuleExit` and unloads the library, because the factory's code lives in the library.
struct Module {
    factory: ComPtr<IPluginFactory>,
    _loaded: Loaded,
}

/// The dlopened library, and its `ModuleExit` if `ModuleEntry` was called.
struct Loaded {
    module_exit: Option<ModuleExitFn>,
    _library: Library,
}

impl Drop for Loaded {
    fn drop(&mut self) {
        if let Some(exit) = self.module_exit {
            // SAFETY: `ModuleEntry` succeeded, every object from the module is released (sessions
            // hold an `Arc<Module>`), and the library is still loaded (`_library` drops later).
            unsafe { exit() };
        }
    }
}

/// What the factory says about one audio module class.
#[derive(Clone, Debug)]
pub struct Vst3ClassInfo {
    pub name: String,
    pub vendor: String,
    pub version: String,
    pub category: String,
    pub subcategories: String,
}

/// A loaded `.vst3` bundle. Sessions share its module, so it stays loaded until they are gone.
pub struct Vst3Bundle {
    module: Arc<Module>,
}

impl Vst3Bundle {
    /// Loads `<bundle>/Contents/<arch>-linux/<name>.so` and gets its factory.
    pub fn load(bundle_dir: &Path) -> anyhow::Result<Self> {
        let arch = match std::env::consts::ARCH {
            "x86" => "i386",
            other => other,
        };
        let stem = bundle_dir
            .file_stem()
            .context("the bundle path has no name")?;
        let binary = bundle_dir
            .join(format!("Contents/{arch}-linux"))
            .join(stem)
            .with_extension("so");
        if !binary.is_file() {
            bail!("{} is missing from the VST3 bundle", binary.display());
        }
        // SAFETY: loading a shared library runs its initialisers; the bundle is the one we built.
        let library = unsafe { Library::open(Some(binary.as_os_str()), RTLD_NOW | RTLD_LOCAL) }
            .with_context(|| format!("dlopen {}", binary.display()))?;
        // `ModuleEntry` takes the dlopen handle (the SDK keeps it to find the bundle).
        let handle = library.into_raw();
        // SAFETY: `handle` came from `into_raw` just above and nothing else owns it.
        let library = unsafe { Library::from_raw(handle) };
        // SAFETY: the types are the SDK's (linuxmain.cpp, ipluginbase.h), and the pointers are
        // only called while `library` stays loaded (it moves into `Loaded`).
        let (entry, exit, get_factory) = unsafe {
            (
                symbol::<ModuleEntryFn>(&library, b"ModuleEntry\0"),
                symbol::<ModuleExitFn>(&library, b"ModuleExit\0"),
                symbol::<GetPluginFactoryFn>(&library, b"GetPluginFactory\0"),
            )
        };
        // SAFETY: called once, right after loading, with the module's own dlopen handle.
        if let Some(entry) = entry
            && !unsafe { entry(handle) }
        {
            bail!("ModuleEntry returned false");
        }
        // From here on dropping `loaded` calls `ModuleExit` and unloads, whatever fails.
        let loaded = Loaded {
            module_exit: entry.and(exit),
            _library: library,
        };
        let get_factory = get_factory.context("the module does not export GetPluginFactory")?;
        // SAFETY: `GetPluginFactory` returns an `IPluginFactory*` carrying one reference for us.
        let factory = unsafe { ComPtr::from_raw(get_factory().cast::<IPluginFactory>()) }
            .context("GetPluginFactory returned null")?;
        let module = Module {
            factory,
            _loaded: loaded,
        };
        Ok(Self {
            module: Arc::new(module),
        })
    }

    /// Every "Audio Module Class" with its class id, read through `IPluginFactory2` (the plain
    /// `PClassInfo` has no vendor, version or subcategories).
    fn audio_classes(&self) -> anyhow::Result<Vec<(TUID, Vst3ClassInfo)>> {
        let factory2 = self.module.factory.cast::<IPluginFactory2>();
        let factory2 = factory2.context("the factory has no IPluginFactory2")?;
        // SAFETY: a plain query on a live factory.
        let count = unsafe { factory2.countClasses() };
        let mut classes = Vec::new();
        for index in 0..count {
            // SAFETY: `PClassInfo2` is plain old data, for which all-zero is a valid value.
            let mut info: PClassInfo2 = unsafe { std::mem::zeroed() };
            // SAFETY: `info` is a valid, writable `PClassInfo2`.
            let result = unsafe { factory2.getClassInfo2(index, &mut info) };
            check(result, &format!("IPluginFactory2::getClassInfo2({index})"))?;
            let class = Vst3ClassInfo {
                name: text(&info.name),
                vendor: text(&info.vendor),
                version: text(&info.version),
                category: text(&info.category),
                subcategories: text(&info.subCategories),
            };
            if class.category == "Audio Module Class" {
                classes.push((info.cid, class));
            }
        }
        Ok(classes)
    }

    /// Name, vendor, version, category and subcategories of each audio module class.
    pub fn classes(&self) -> anyhow::Result<Vec<Vst3ClassInfo>> {
        Ok(self
            .audio_classes()?
            .into_iter()
            .map(|(_, info)| info)
            .collect())
    }
}

/// The host context handed to `IComponent::initialize`: a name, and no objects to create.
struct HostContext;

impl Class for HostContext {
    type Interfaces = (IHostApplication,);
}

impl IHostApplicationTrait for HostContext {
    unsafe fn getName(&self, name: *mut String128) -> tresult {
        if name.is_null() {
            return kInvalidArgument;
        }
        let mut utf16: String128 = [0; 128];
        utf16
            .iter_mut()
            .zip("mcclstm-tests".encode_utf16())
            .for_each(|(d, s)| *d = s);
        // SAFETY: the caller passes a writable `String128`, checked non-null above.
        unsafe { *name = utf16 };
        kResultOk
    }

    unsafe fn createInstance(&self, _: *mut TUID, _: *mut TUID, obj: *mut *mut c_void) -> tresult {
        // SAFETY: `obj` is the caller's out-pointer (or null).
        unsafe { put(obj, ptr::null_mut()) };
        kNotImplemented
    }
}

/// A host-side `IBStream` over bytes in memory with a cursor, as a DAW hands a project chunk to
/// `IComponent::setState`/`getState`. COM methods take `&self`, hence the cells.
struct MemoryStream {
    bytes: RefCell<Vec<u8>>,
    pos: Cell<usize>,
}

impl Class for MemoryStream {
    type Interfaces = (IBStream,);
}

impl IBStreamTrait for MemoryStream {
    unsafe fn read(&self, buffer: *mut c_void, num_bytes: int32, done: *mut int32) -> tresult {
        if buffer.is_null() || num_bytes < 0 {
            return kInvalidArgument;
        }
        let bytes = self.bytes.borrow();
        let start = self.pos.get().min(bytes.len());
        let n = (num_bytes as usize).min(bytes.len() - start);
        // SAFETY: the caller's buffer holds `num_bytes >= n` bytes and is not our vector.
        unsafe { ptr::copy_nonoverlapping(bytes[start..].as_ptr(), buffer.cast::<u8>(), n) };
        self.pos.set(start + n);
        // SAFETY: `done` is the caller's out-pointer (or null).
        unsafe { put(done, n as int32) };
        kResultOk
    }

    unsafe fn write(&self, buffer: *mut c_void, num_bytes: int32, done: *mut int32) -> tresult {
        if buffer.is_null() || num_bytes < 0 {
            return kInvalidArgument;
        }
        // SAFETY: the caller's buffer holds `num_bytes` readable bytes, checked non-null.
        let data = unsafe { std::slice::from_raw_parts(buffer.cast::<u8>(), num_bytes as usize) };
        let mut bytes = self.bytes.borrow_mut();
        let (start, end) = (self.pos.get(), self.pos.get() + data.len());
        if bytes.len() < end {
            bytes.resize(end, 0);
        }
        bytes[start..end].copy_from_slice(data);
        self.pos.set(end);
        // SAFETY: `done` is the caller's out-pointer (or null).
        unsafe { put(done, num_bytes) };
        kResultOk
    }

    unsafe fn seek(&self, pos: int64, mode: int32, result: *mut int64) -> tresult {
        let base = match mode {
            m if m == kIBSeekSet as int32 => 0,
            m if m == kIBSeekCur as int32 => self.pos.get() as int64,
            m if m == kIBSeekEnd as int32 => self.bytes.borrow().len() as int64,
            _ => return kInvalidArgument,
        };
        let Some(target) = base.checked_add(pos).filter(|&t| t >= 0) else {
            return kInvalidArgument;
        };
        self.pos.set(target as usize);
        // SAFETY: `result` is the caller's out-pointer (or null).
        unsafe { put(result, target) };
        kResultOk
    }

    unsafe fn tell(&self, pos: *mut int64) -> tresult {
        if pos.is_null() {
            return kInvalidArgument;
        }
        // SAFETY: `pos` is the caller's out-pointer, checked non-null.
        unsafe { put(pos, self.pos.get() as int64) };
        kResultOk
    }
}

/// A stream over `bytes`, and the `IBStream*` to hand to the plugin while the wrapper lives.
fn memory_stream(bytes: Vec<u8>) -> anyhow::Result<(ComWrapper<MemoryStream>, *mut IBStream)> {
    let stream = ComWrapper::new(MemoryStream {
        bytes: RefCell::new(bytes),
        pos: Cell::new(0),
    });
    let ptr = stream
        .as_com_ref::<IBStream>()
        .context("stream as IBStream")?
        .as_ptr();
    Ok((stream, ptr))
}

/// One instance of the bundle's first audio module class, driven as a DAW drives it. Fields drop
/// in order after `Drop::drop` terminated it: the plugin's interfaces, the host context, the
/// module.
pub struct Vst3Session {
    processor: ComPtr<IAudioProcessor>,
    component: ComPtr<IComponent>,
    _host: ComWrapper<HostContext>,
    offline: bool,
    active: bool,
    max_block: usize,
    sample_rate: f64,
    in_bufs: Vec<Vec<f32>>,
    out_bufs: Vec<Vec<f32>>,
    _module: Arc<Module>,
}

impl Vst3Session {
    /// Instantiates and initialises the first audio module class and loads `state` into it
    /// before anything is activated (as hosts do when they open a project). `offline` selects
    /// `kOffline` over `kRealtime` for `setupProcessing` and `process`.
    pub fn new(bundle: &Vst3Bundle, state: Option<&[u8]>, offline: bool) -> anyhow::Result<Self> {
        let classes = bundle.audio_classes()?;
        let (cid, _) = classes
            .first()
            .context("the factory has no \"Audio Module Class\"")?;
        let factory = &bundle.module.factory;
        let iid = IComponent::IID;
        let mut obj: *mut c_void = ptr::null_mut();
        // SAFETY: `cid` and `iid` are 16-byte ids that outlive the call; `obj` is writable.
        let result = unsafe {
            factory.createInstance(cid.as_ptr(), iid.as_ptr().cast::<c_char>(), &mut obj)
        };
        check(result, "IPluginFactory::createInstance(IComponent)")?;
        // SAFETY: on `kResultOk` `obj` is an `IComponent*` carrying one reference for us.
        let component = unsafe { ComPtr::from_raw(obj.cast::<IComponent>()) }
            .context("IPluginFactory::createInstance returned kResultOk and no object")?;
        let host = ComWrapper::new(HostContext);
        let context = host
            .as_com_ref::<FUnknown>()
            .context("host as FUnknown")?
            .as_ptr();
        // SAFETY: `context` points into `host`, which the session keeps until after terminate.
        let result = unsafe { component.initialize(context) };
        check(result, "IComponent::initialize")?;
        let Some(processor) = component.cast::<IAudioProcessor>() else {
            // SAFETY: initialised just above; hosts terminate before releasing.
            unsafe { component.terminate() };
            bail!("the component has no IAudioProcessor interface");
        };
        // From here on `Drop` terminates the component whatever fails.
        let mut session = Self {
            processor,
            component,
            _host: host,
            offline,
            active: false,
            max_block: 0,
            sample_rate: 0.0,
            in_bufs: Vec::new(),
            out_bufs: Vec::new(),
            _module: bundle.module.clone(),
        };
        if let Some(state) = state {
            session.load_state(state)?;
        }
        Ok(session)
    }

    /// `IComponent::setState` from a memory stream, as a host does when it opens a project;
    /// allowed while active (Ardour activates before it restores the state).
    pub fn load_state(&mut self, state: &[u8]) -> anyhow::Result<()> {
        let (_stream, stream) = memory_stream(state.to_vec())?;
        // SAFETY: `stream` points into `_stream`, alive for the whole call.
        let result = unsafe { self.component.setState(stream) };
        check(result, "IComponent::setState")
    }

    fn process_mode(&self) -> int32 {
        let mode = match self.offline {
            true => ProcessModes_::kOffline,
            false => ProcessModes_::kRealtime,
        };
        mode as int32
    }

    /// Sets up stereo in/out buses and processing at `sample_rate` with blocks of at most
    /// `max_block`, then `setActive(true)` and `setProcessing(true)`.
    pub fn activate(&mut self, sample_rate: f64, max_block: usize) -> anyhow::Result<()> {
        if self.active {
            bail!("already active");
        }
        let max_block = max_block.max(1);
        let sample32 = SymbolicSampleSizes_::kSample32 as int32;
        let mut setup = ProcessSetup {
            processMode: self.process_mode(),
            symbolicSampleSize: sample32,
            maxSamplesPerBlock: i32::try_from(max_block).context("max_block exceeds i32")?,
            sampleRate: sample_rate,
        };
        let mut ins: [SpeakerArrangement; 1] = [SpeakerArr::kStereo];
        let mut outs: [SpeakerArrangement; 1] = [SpeakerArr::kStereo];
        let audio = MediaTypes_::kAudio as int32;
        // SAFETY: calls on a live, initialised, inactive component in the order the VST3
        // workflow prescribes; every pointer argument points at a local that outlives its call.
        unsafe {
            let (i, o) = (ins.as_mut_ptr(), outs.as_mut_ptr());
            let result = self.processor.setBusArrangements(i, 1, o, 1);
            check(result, "IAudioProcessor::setBusArrangements(kStereo)")?;
            for (dir, name) in [(kInput, "kInput"), (kOutput, "kOutput")] {
                let buses = self.component.getBusCount(audio, dir as int32);
                if buses != 1 {
                    bail!("IComponent::getBusCount(kAudio, {name}) returned {buses}, not 1");
                }
                let result = self.component.activateBus(audio, dir as int32, 0, 1);
                check(
                    result,
                    &format!("IComponent::activateBus(kAudio, {name}, 0)"),
                )?;
            }
            let result = self.processor.canProcessSampleSize(sample32);
            check(result, "IAudioProcessor::canProcessSampleSize(kSample32)")?;
            let result = self.processor.setupProcessing(&mut setup);
            check(result, "IAudioProcessor::setupProcessing")?;
        }
        self.max_block = max_block;
        self.sample_rate = sample_rate;
        self.in_bufs = vec![vec![0.0; max_block]; 2];
        self.out_bufs = vec![vec![0.0; max_block]; 2];
        // SAFETY: buses and processing are set up, as `setActive` requires.
        let result = unsafe { self.component.setActive(1) };
        check(result, "IComponent::setActive(true)")?;
        self.active = true;
        // SAFETY: the component is active.
        let result = unsafe { self.processor.setProcessing(1) };
        check(result, "IAudioProcessor::setProcessing(true)")
    }

    /// Processes stereo `input` in blocks of `schedule` with no parameter changes, events or
    /// process context, timing each `IAudioProcessor::process` call and counting the waits in it
    /// ([`crate::thread_usage`]), at `pace` times real time (`None`: as fast as it can).
    pub fn process(
        &mut self,
        input: &[Vec<f32>],
        schedule: Schedule,
        pace: Option<f64>,
    ) -> anyhow::Result<Processed> {
        if input.len() != 2 || input[0].len() != input[1].len() {
            bail!("process takes two channels of equal length");
        }
        if !self.active {
            bail!("not active");
        }
        if schedule.max() > self.max_block {
            bail!("blocks exceed the activated maximum {}", self.max_block);
        }
        let mut result = Processed {
            output: (0..2).map(|_| Vec::with_capacity(input[0].len())).collect(),
            ..Processed::default()
        };
        let mut pos = 0usize;
        let pacer = crate::Pacer::new(self.sample_rate, pace);
        for n in schedule.blocks(input[0].len()) {
            pacer.wait_for(pos);
            for ((in_buf, out_buf), channel) in
                self.in_bufs.iter_mut().zip(&mut self.out_bufs).zip(input)
            {
                in_buf[..n].copy_from_slice(&channel[pos..pos + n]);
                out_buf[..n].fill(0.0);
            }
            // Taken after the copies so that no later `&mut` borrow invalidates them.
            let mut in_ptrs = [self.in_bufs[0].as_mut_ptr(), self.in_bufs[1].as_mut_ptr()];
            let mut out_ptrs = [self.out_bufs[0].as_mut_ptr(), self.out_bufs[1].as_mut_ptr()];
            let bus = |channels: &mut [*mut f32; 2]| AudioBusBuffers {
                numChannels: 2,
                silenceFlags: 0,
                __field0: AudioBusBuffers__type0 {
                    channelBuffers32: channels.as_mut_ptr(),
                },
            };
            let (mut inputs, mut outputs) = (bus(&mut in_ptrs), bus(&mut out_ptrs));
            let mut data = ProcessData {
                processMode: self.process_mode(),
                symbolicSampleSize: SymbolicSampleSizes_::kSample32 as int32,
                numSamples: n as int32,
                numInputs: 1,
                numOutputs: 1,
                inputs: &mut inputs,
                outputs: &mut outputs,
                inputParameterChanges: ptr::null_mut(),
                outputParameterChanges: ptr::null_mut(),
                inputEvents: ptr::null_mut(),
                outputEvents: ptr::null_mut(),
                processContext: ptr::null_mut(),
            };
            let (switches, faults) = crate::thread_usage();
            let started = Instant::now();
            // SAFETY: each bus points at two channels of `max_block >= n` samples, all of which
            // outlive the call; the component is active and processing.
            let status = unsafe { self.processor.process(&mut data) };
            let elapsed = started.elapsed();
            let (switches_after, faults_after) = crate::thread_usage();
            result.waits += switches_after - switches;
            result.faults += faults_after - faults;
            check(status, "IAudioProcessor::process")?;
            result.max_process_time = result.max_process_time.max(elapsed);
            result.total_process_time += elapsed;
            for ch in 0..2 {
                result.output[ch].extend_from_slice(&self.out_bufs[ch][..n]);
            }
            pos += n;
        }
        Ok(result)
    }

    /// `setProcessing(false)` then `setActive(false)`; both are called even if the first fails.
    pub fn deactivate(&mut self) -> anyhow::Result<()> {
        if !self.active {
            bail!("not active");
        }
        self.active = false;
        // SAFETY: the component is active; these are its shutdown calls, in workflow order.
        let (stopped, inactive) =
            unsafe { (self.processor.setProcessing(0), self.component.setActive(0)) };
        check(stopped, "IAudioProcessor::setProcessing(false)")?;
        check(inactive, "IComponent::setActive(false)")
    }

    /// The plugin's state, as a host saves it into a project (`IComponent::getState`).
    pub fn save_state(&mut self) -> anyhow::Result<Vec<u8>> {
        let (stream, stream_ptr) = memory_stream(Vec::new())?;
        // SAFETY: `stream_ptr` points into `stream`, alive for the whole call.
        let result = unsafe { self.component.getState(stream_ptr) };
        check(result, "IComponent::getState")?;
        Ok(stream.bytes.take())
    }
}

impl Drop for Vst3Session {
    fn drop(&mut self) {
        if self.active {
            let _ = self.deactivate();
        }
        // SAFETY: initialised in `new` and inactive now; the interfaces, the host context and
        // the module are released after this, in field order.
        unsafe { self.component.terminate() };
    }
}
